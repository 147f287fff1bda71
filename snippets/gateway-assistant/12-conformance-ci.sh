gateway-assistant conformance http://localhost:4000 --format junit > conformance.xml
