"""The embedded upstream: ModelArts' contract over a generated data set."""
