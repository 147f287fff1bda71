# Load the changed developers.map without dropping a request: nginx starts new workers
# with it and lets the old workers finish the requests they are serving.
nginx -e stderr -p "$PWD" -c "$PWD/gateway.conf" -s reload
