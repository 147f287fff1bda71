~/agent-sdk/bin/python query.py
