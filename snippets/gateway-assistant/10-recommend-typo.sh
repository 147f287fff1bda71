gateway-assistant recommend --providers aws
