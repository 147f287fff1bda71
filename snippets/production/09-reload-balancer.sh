cp haproxy-tuned.cfg haproxy.cfg
docker-compose restart haproxy
