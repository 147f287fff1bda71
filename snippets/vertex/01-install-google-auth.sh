source litellm-venv/bin/activate
pip install 'google-auth==2.62.2'
