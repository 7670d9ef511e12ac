"""The Kivy screens: layout and one-line calls into mobile.core. The only Kivy code besides __main__."""
