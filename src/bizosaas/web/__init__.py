"""Server-rendered web apps: the single login screen, client portal, admin dashboard, SQLAdmin.

Each is its own ASGI app (``create_app(settings)``) on its own port, or mounted
behind the gateway. None needs JavaScript; every page fits a phone-sized screen.
"""
