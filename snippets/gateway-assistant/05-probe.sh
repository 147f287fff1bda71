gateway-assistant probe http://localhost:4000
