nginx -v 2>&1
haproxy -v | head -n 1
squid -v | head -n 1
