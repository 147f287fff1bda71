gateway-assistant doctor
