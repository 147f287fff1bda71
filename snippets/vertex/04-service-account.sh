export GOOGLE_APPLICATION_CREDENTIALS="$HOME/keys/litellm-vertex.json"
