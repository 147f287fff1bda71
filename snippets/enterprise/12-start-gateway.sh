export GATEWAY_MASTER_KEY="sk-litellm-change-me"   # LiteLLM's key: only the gateway holds it
umask 077   # gateway.conf will contain that key
envsubst "\$GATEWAY_MASTER_KEY" < gateway.conf.template > gateway.conf
nginx -e stderr -p "$PWD" -c "$PWD/gateway.conf" -g "daemon off;"
