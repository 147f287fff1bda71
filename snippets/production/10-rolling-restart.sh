# Restart the instances one at a time; the balancer serves from the others.
# Stops at the first instance that does not come back healthy: it exited while
# starting (a broken config), or it is still not healthy after 90 s.
why=""
for svc in litellm-1 litellm-2; do
  docker-compose up -d --no-deps --force-recreate "$svc"
  id=$(docker-compose ps -q "$svc")
  waited=0
  until [ "$(docker inspect -f '{{.State.Health.Status}}' "$id")" = healthy ]; do
    if [ "$(docker inspect -f '{{.RestartCount}}' "$id")" -gt 0 ]; then
      why="exited while starting"; break
    fi
    sleep 1
    waited=$((waited + 1))
    if [ "$waited" -ge 90 ]; then why="is not healthy after 90 s"; break; fi
  done
  if [ -n "$why" ]; then
    echo "$svc $why; rollout stopped. Its errors:"
    docker-compose logs --no-color "$svc" | grep -iE "error|exception" | tail -n 3
    break
  fi
  echo "$svc restarted and healthy"
done
