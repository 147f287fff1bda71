# Your proxy's address (here a proxy or local relay listening on 127.0.0.1:3128).
export HTTPS_PROXY="http://127.0.0.1:3128"
