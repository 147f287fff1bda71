python3 -m venv litellm-venv
source litellm-venv/bin/activate
pip install 'litellm[proxy]==1.106.2' prometheus_client prisma
