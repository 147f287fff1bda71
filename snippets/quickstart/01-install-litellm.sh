python3 -m venv litellm-venv
source litellm-venv/bin/activate
pip install 'litellm[proxy]==1.106.2' 'prometheus_client==0.26.0' 'prisma==0.15.0'
