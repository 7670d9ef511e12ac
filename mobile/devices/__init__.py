"""Device drivers for the courier handheld: plain Python behind small facades, no Kivy."""
