"""Parcelrun courier app. Everything here except ``mobile/screens`` is plain Python with no Kivy import."""
