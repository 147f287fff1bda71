# Wait until both instances report healthy (their first start takes a while).
for svc in litellm-1 litellm-2; do
  id=$(docker-compose ps -q "$svc")
  until [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ]; do
    sleep 2
  done
done
docker-compose ps
