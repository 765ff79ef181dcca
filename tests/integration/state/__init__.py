"""Contract tests of the state adapters: Redis rate limiters and caches, conversation stores."""
