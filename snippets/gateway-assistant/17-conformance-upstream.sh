gateway-assistant conformance http://localhost:4000 --upstream 127.0.0.1:9100
