curl -s --cacert corp-ca.pem --resolve llm-gateway.corp.example:4000:127.0.0.1 https://llm-gateway.corp.example:4000/health/liveliness
