haproxy -f waf.cfg
