"""The typed intermediate representation and the transition system."""
