nginx -e stderr -p "$PWD" -c "$PWD/gateway-tls.conf" -g "daemon off;"
