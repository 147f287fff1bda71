curl -s http://localhost:4000/health/liveliness
