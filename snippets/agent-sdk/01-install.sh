# The Claude Agent SDK for Python, in a virtual environment of its own.
python3 -m venv ~/agent-sdk
~/agent-sdk/bin/pip install "claude-agent-sdk==0.2.189"
