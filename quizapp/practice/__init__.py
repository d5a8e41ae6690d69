"""Practice (模拟练习) and the wrong-question book (错题本)."""
