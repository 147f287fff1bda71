gateway-assistant conformance http://localhost:4000
