"""Calling the customer through a virtual number (隐私号): the courier never sees the real one."""
