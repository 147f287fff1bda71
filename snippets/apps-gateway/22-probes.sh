curl -s http://localhost:8080/healthz; echo
curl -s http://localhost:8080/readyz; echo
