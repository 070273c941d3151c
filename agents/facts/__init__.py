"""Latest-state folds of refunds and orders: order-insensitive, so disorder and duplicates are harmless."""
