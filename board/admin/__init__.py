"""The site admin's overview: every course and account on this Board, without entering any course."""
