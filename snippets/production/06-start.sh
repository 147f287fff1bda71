chmod 600 gateway.env
docker-compose up -d
