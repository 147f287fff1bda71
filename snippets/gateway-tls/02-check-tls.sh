curl -s --cacert corp-ca.pem https://localhost:4000/health/liveliness
