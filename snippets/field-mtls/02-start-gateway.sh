nginx -e stderr -p "$PWD" -c "$PWD/gateway-mtls.conf" -g "daemon off;"
