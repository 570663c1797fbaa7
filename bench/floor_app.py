"""The framework's floor: a bare Flask app that answers a constant JSON body, served by the
same gunicorn configuration as the services (`gunicorn 'bench.floor_app:create_app()'`).
What a service endpoint achieves is reported as a share of what this achieves."""

from flask import Flask, jsonify

BODY = {"id": "00000000-0000-0000-0000-000000000000", "status": "confirmed", "waitlist_position": None}


def create_app() -> Flask:
    app = Flask("floor")

    @app.get("/floor")
    def floor():
        return jsonify(BODY)

    @app.get("/healthz")
    def healthz():
        return jsonify(status="alive")

    return app
