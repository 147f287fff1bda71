python3 -m pip install gateway_assistant-0.1.0-py3-none-any.whl
