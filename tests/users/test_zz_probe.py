import asyncio
from tests.helpers.builders import register, signed_up, login
async def test_probe(client):
    await register(client, "ann")
    rs = await asyncio.gather(*(client.post("/api/v1/auth/login", json={"username": "ann", "password": "correct horse battery"}) for _ in range(8)))
    print("logins", [r.status_code for r in rs], [r.text[:100] for r in rs if r.status_code != 200][:2])
    ann = await signed_up(client, "bob")
    rs = await asyncio.gather(*(client.post("/api/v1/auth/refresh", json={"refresh_token": ann.refresh_token}) for _ in range(2)))
    print("refresh", [r.status_code for r in rs], [r.text[:120] for r in rs])
    good = [r.json()["refresh_token"] for r in rs if r.status_code == 200]
    for g in good:
        r = await client.post("/api/v1/auth/refresh", json={"refresh_token": g})
        print("winner", r.status_code, r.text[:100])
    rs = await asyncio.gather(*(client.post("/api/v1/auth/register", json={"username": f"u{i}xx", "password": "correct horse battery"}) for i in range(8)))
    print("register", [r.status_code for r in rs])
    rs = await asyncio.gather(*(client.post("/api/v1/auth/register", json={"username": "same", "password": "correct horse battery"}) for i in range(4)))
    print("register same", [r.status_code for r in rs])
