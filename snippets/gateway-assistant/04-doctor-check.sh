gateway-assistant doctor --check
