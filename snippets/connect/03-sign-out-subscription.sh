claude auth logout
