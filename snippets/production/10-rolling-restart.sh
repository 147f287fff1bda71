# Restart the instances one at a time; the balancer serves from the others.
# Stops at the first instance that does not come back healthy.
rollout=ok
for svc in litellm-1 litellm-2; do
  docker-compose up -d --no-deps --force-recreate "$svc"
  waited=0
  until [ "$(docker inspect -f '{{.State.Health.Status}}' "$(docker-compose ps -q "$svc")")" = healthy ]; do
    sleep 1
    waited=$((waited + 1))
    if [ "$waited" -ge 90 ]; then rollout=failed; break; fi
  done
  if [ "$rollout" = failed ]; then
    echo "$svc is not healthy after 90 s; rollout stopped. Its errors:"
    docker-compose logs --no-color "$svc" | grep -iE "error|exception" | tail -n 3
    break
  fi
  echo "$svc restarted and healthy"
done
