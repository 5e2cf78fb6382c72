//! API.md "Users": permissions, account isolation, the last-owner rule, deactivation.

use crate::common::{PASSWORD, Platform};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn owner_adds_users_and_roles_bound_what_they_can_do() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let member = p.add_user(&owner, "member@example.com", "member").await;
    let viewer = p.add_user(&owner, "viewer@example.com", "viewer").await;

    let me = p.get("/api/v1/auth/me", Some(&viewer.access)).await;
    assert_eq!(
        me.assert_ok(200)["permissions"],
        json!(["ai.read", "files.download", "files.read"])
    );
    assert_eq!(
        viewer.account_id, owner.account_id,
        "new users join the caller's account"
    );

    let r = p
        .post(
            "/api/v1/users",
            Some(&viewer.access),
            json!({ "email": "x@example.com", "password": PASSWORD, "role": "viewer" }),
        )
        .await;
    r.assert_error(403, "forbidden");
    p.post(
        "/api/v1/users",
        Some(&member.access),
        json!({ "email": "y@example.com", "password": PASSWORD, "role": "owner" }),
    )
    .await
    .assert_error(403, "forbidden");
    p.get("/api/v1/users", Some(&member.access))
        .await
        .assert_error(403, "forbidden");
    assert_eq!(
        p.count("SELECT count(*) FROM users", &[]).await,
        3,
        "refused requests created nothing"
    );

    let list = p.get("/api/v1/users", Some(&owner.access)).await;
    let users = list.assert_ok(200).as_array().expect("list").clone();
    let emails: Vec<&str> = users.iter().filter_map(|u| u["email"].as_str()).collect();
    assert_eq!(
        emails,
        [
            "owner@example.com",
            "member@example.com",
            "viewer@example.com"
        ]
    );
    assert_eq!(
        list.body["meta"]["pagination"],
        json!({ "page": 1, "per_page": 25, "total": 3, "total_pages": 1 })
    );
    let page2 = p
        .get("/api/v1/users?page=2&per_page=2", Some(&owner.access))
        .await;
    assert_eq!(page2.assert_ok(200).as_array().map(Vec::len), Some(1));
    assert_eq!(page2.body["meta"]["pagination"]["total_pages"], 2);
    p.get("/api/v1/users?per_page=0", Some(&owner.access))
        .await
        .assert_error(400, "bad_request");
    p.get("/api/v1/users?per_page=101", Some(&owner.access))
        .await
        .assert_error(400, "bad_request");
}

#[tokio::test]
async fn creating_a_user_validates_and_refuses_duplicates() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let r = p
        .post(
            "/api/v1/users",
            Some(&owner.access),
            json!({ "email": "new@example.com", "password": PASSWORD, "role": "platform_admin" }),
        )
        .await;
    r.assert_error(422, "validation_failed");
    assert_eq!(r.detail_fields(), ["role"]);
    p.post(
        "/api/v1/users",
        Some(&owner.access),
        json!({ "email": "new@example.com", "password": PASSWORD }),
    )
    .await
    .assert_error(422, "validation_failed");
    p.post(
        "/api/v1/users",
        Some(&owner.access),
        json!({ "email": "Owner@Example.com", "password": PASSWORD, "role": "member" }),
    )
    .await
    .assert_error(409, "conflict");
    assert_eq!(p.count("SELECT count(*) FROM users", &[]).await, 1);
}

#[tokio::test]
async fn another_accounts_user_is_not_found_and_untouched() {
    let p = Platform::start().await;
    let a = p.register("a@example.com").await;
    let b = p.register("b@example.com").await;
    let b_user = format!("/api/v1/users/{}", b.user_id);
    p.send(
        Method::PATCH,
        &b_user,
        Some(&a.access),
        Some(json!({ "name": "hijacked", "role": "viewer" })),
    )
    .await
    .assert_error(404, "not_found");
    p.send(Method::DELETE, &b_user, Some(&a.access), None)
        .await
        .assert_error(404, "not_found");
    let missing = p
        .send(
            Method::DELETE,
            "/api/v1/users/01a21d78-17ab-726f-8da5-c6e0d13444a8",
            Some(&a.access),
            None,
        )
        .await;
    assert_eq!(
        missing
            .text
            .replace("01a21d78-17ab-726f-8da5-c6e0d13444a8", ""),
        p.send(Method::DELETE, &b_user, Some(&a.access), None)
            .await
            .text
            .replace(&b.user_id.to_string(), ""),
        "a foreign id and a missing id answer alike"
    );
    p.send(
        Method::PATCH,
        "/api/v1/users/not-a-uuid",
        Some(&a.access),
        Some(json!({})),
    )
    .await
    .assert_error(404, "not_found");

    let row =
        p.db.query_one(
            "SELECT name, deactivated_at IS NULL FROM users WHERE id = $1",
            &[&b.user_id],
        )
        .await
        .expect("b");
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some("Test"));
    assert!(row.get::<_, bool>(1));
    p.get("/api/v1/auth/me", Some(&b.access))
        .await
        .assert_ok(200);
}

#[tokio::test]
async fn the_last_owner_cannot_be_demoted_or_deactivated() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let me = format!("/api/v1/users/{}", owner.user_id);
    let r = p
        .send(
            Method::PATCH,
            &me,
            Some(&owner.access),
            Some(json!({ "role": "member" })),
        )
        .await;
    r.assert_error(422, "validation_failed");
    assert_eq!(r.detail_fields(), ["role"]);
    p.send(Method::DELETE, &me, Some(&owner.access), None)
        .await
        .assert_error(422, "validation_failed");
    assert_eq!(p.count("SELECT count(*) FROM user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.name = 'owner'", &[]).await, 1);

    // With a second owner, the first can step down, and then the second is the last.
    let second = p.add_user(&owner, "second@example.com", "owner").await;
    let r = p
        .send(
            Method::PATCH,
            &me,
            Some(&owner.access),
            Some(json!({ "role": "member", "name": "Former owner" })),
        )
        .await;
    let user = r.assert_ok(200);
    assert_eq!(user["roles"], json!(["member"]));
    assert_eq!(user["name"], "Former owner");
    let second_path = format!("/api/v1/users/{}", second.user_id);
    p.send(
        Method::PATCH,
        &second_path,
        Some(&second.access),
        Some(json!({ "role": "viewer" })),
    )
    .await
    .assert_error(422, "validation_failed");
    // The demoted owner lost users.* at once, with the same token.
    p.get("/api/v1/users", Some(&owner.access))
        .await
        .assert_error(403, "forbidden");
}

#[tokio::test]
async fn a_deactivated_users_tokens_stop_working_at_once() {
    let p = Platform::start().await;
    let owner = p.register("owner@example.com").await;
    let member = p.add_user(&owner, "member@example.com", "member").await;
    p.get("/api/v1/auth/me", Some(&member.access))
        .await
        .assert_ok(200);

    let r = p
        .send(
            Method::DELETE,
            &format!("/api/v1/users/{}", member.user_id),
            Some(&owner.access),
            None,
        )
        .await;
    assert_eq!(r.assert_ok(200)["active"], false);
    p.get("/api/v1/auth/me", Some(&member.access))
        .await
        .assert_error(401, "unauthorized");
    p.post(
        "/api/v1/auth/refresh",
        None,
        json!({ "refresh_token": member.refresh }),
    )
    .await
    .assert_error(401, "unauthorized");
    p.login("member@example.com", PASSWORD)
        .await
        .assert_error(401, "unauthorized");
    assert_eq!(
        p.count(
            "SELECT count(*) FROM sessions WHERE revoked_reason = 'user_deactivated'",
            &[]
        )
        .await,
        1
    );
    assert_eq!(
        p.count(
            "SELECT count(*) FROM audit_logs WHERE action = 'user.deactivated'",
            &[]
        )
        .await,
        1
    );

    // Deactivating again changes nothing and answers the user as it is.
    let again = p
        .send(
            Method::DELETE,
            &format!("/api/v1/users/{}", member.user_id),
            Some(&owner.access),
            None,
        )
        .await;
    assert_eq!(again.assert_ok(200)["active"], false);
    assert_eq!(
        p.count(
            "SELECT count(*) FROM audit_logs WHERE action = 'user.deactivated'",
            &[]
        )
        .await,
        1
    );
}
