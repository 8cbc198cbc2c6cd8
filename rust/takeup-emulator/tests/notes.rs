//! Take logging and channels: comments, real-time logging triggers, channels and per-channel
//! pause, with their validation, scopes and fault injection.

mod common;

use common::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn asset_id(env: &Env, access: &str, name: &str) -> String {
    let r = env
        .create_asset(access, file_body(name, "video/mp4", 5))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    v["id"].as_str().unwrap().to_string()
}

async fn post_keyed(env: &Env, path: &str, access: &str, key: &str, body: Value) -> StatusCode {
    let req = env
        .post_request(path, access)
        .header("x-client-version", VERSION);
    send(req.header("idempotency-key", key).json(&body))
        .await
        .status()
}

/// Create the channel `client_id` of this device; the answer.
async fn create_channel(env: &Env, access: &str, client_id: &str) -> reqwest::Response {
    let body = json!({ "client_id": client_id });
    env.post_auth("/v2/devices/channels", access, Some(body))
        .await
}

/// Comment `text` on asset `id`; the answer's status.
async fn comment_status(env: &Env, access: &str, id: &str, text: &str) -> StatusCode {
    let path = format!("/v2/devices/assets/{id}/comments");
    env.post_status(&path, access, Some(json!({ "text": text })))
        .await
}

#[tokio::test]
async fn comments_are_stored_validated_and_listed() {
    let (env, t) = paired("note-1").await;
    let id = asset_id(&env, &t.access, "A001.mov").await;
    let path = format!("/v2/devices/assets/{id}/comments");

    let r = env
        .post_auth(
            &path,
            &t.access,
            Some(json!({"text": "circle take", "timestamp": 48})),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["_type"], "comment");
    assert_eq!(c["asset_id"], id.as_str());
    assert_eq!(c["timestamp"], 48.0);
    assert_eq!(
        env.post_status(&path, &t.access, Some(json!({"text": "no frame"})))
            .await,
        StatusCode::OK
    );

    // Validation: detailed 400s; unknown assets 404.
    for (body, detail) in [
        (json!({}), "text is required"),
        (json!({"text": "  "}), "text must not be empty"),
        (json!({"text": 5}), "text must be a string"),
        (
            json!({"text": "x", "timestamp": -1}),
            "timestamp must be a frame number (>= 0)",
        ),
        (
            json!({"text": "x", "timestamp": "1"}),
            "timestamp must be a number",
        ),
        (
            json!({"text": "x", "duration": 5}),
            "duration needs a timestamp",
        ),
        (json!({"text": "x", "pitch": 5}), "unknown field \"pitch\""),
        (json!(["x"]), "body must be a JSON object"),
    ] {
        let r = env.post_auth(&path, &t.access, Some(body)).await;
        let (status, title) = (r.status(), r.json::<Value>().await.unwrap());
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(title["errors"][0]["detail"], detail);
    }
    let long = "x".repeat(10_001);
    assert_eq!(
        env.post_status(&path, &t.access, Some(json!({"text": long})))
            .await,
        StatusCode::BAD_REQUEST
    );
    // Form bodies are refused (JSON only).
    let r = env
        .post_form_auth(&path, &t.access, &[("text", "form")])
        .await;
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    for bad in ["not-a-uuid", "00000000-0000-0000-0000-000000000000"] {
        let r = env
            .post_auth(
                &format!("/v2/devices/assets/{bad}/comments"),
                &t.access,
                Some(json!({"text": "x"})),
            )
            .await;
        assert_eq!(
            detailed_title(r).await,
            (StatusCode::NOT_FOUND, "Not Found".into())
        );
    }
    // No token: 401.
    let r = env.post_json(&path, &json!({"text": "x"})).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    let all = env
        .control_get(&format!("/_emulator/comments?asset_id={id}"))
        .await;
    assert_eq!(each_field(&all, "text"), ["circle take", "no frame"]);
}

#[tokio::test]
async fn an_idempotency_key_stores_once_and_a_lost_answer_still_stores() {
    let (env, t) = paired("note-2").await;
    let id = asset_id(&env, &t.access, "A002.mov").await;
    let path = format!("/v2/devices/assets/{id}/comments");
    // The server acts, the answer is lost (fault injection applies to these endpoints).
    env.fault(
        json!({"target": "api", "path_ends_with": "/comments", "action": {"kind": "lose_answer"}}),
    )
    .await;
    let lost = env
        .post_request(&path, &t.access)
        .header("idempotency-key", "k-1")
        .json(&json!({"text": "slate"}))
        .send()
        .await;
    assert!(lost.is_err(), "the answer is lost");
    // The resend with the same key is answered and stores nothing new.
    let again = post_keyed(&env, &path, &t.access, "k-1", json!({"text": "slate"})).await;
    assert_eq!(again, StatusCode::OK);
    let other = post_keyed(&env, &path, &t.access, "k-2", json!({"text": "slate"})).await;
    assert_eq!(other, StatusCode::OK);
    let all = env.control_get("/_emulator/comments").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
    let stats = env.control_get("/_emulator/stats").await;
    let route = &stats["requests"]["POST /v2/devices/assets/{id}/comments"];
    assert_eq!(route["answers_lost"], 1, "{stats}");
    assert_eq!(route["requests"], 3, "{stats}");
}

#[tokio::test]
async fn channels_are_created_listed_and_disconnected() {
    let (env, t) = paired("chan-1").await;
    let r = create_channel(&env, &t.access, "rec-track-2").await;
    assert_eq!(r.status(), StatusCode::OK);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["_type"], "project_device_channel");
    assert_eq!(c["external_index"], 1);
    let chan1 = c["id"].as_str().unwrap().to_string();
    // A duplicate client_id: 409.
    let r = create_channel(&env, &t.access, "rec-track-2").await;
    assert_eq!(
        detailed_title(r).await,
        (StatusCode::CONFLICT, "Conflict".into())
    );
    for body in [
        json!({}),
        json!({"client_id": ""}),
        json!({"client_id": "x", "device_model_id": "nope"}),
        json!({"client_id": "x", "name": "n"}),
    ] {
        assert_eq!(
            env.post_status("/v2/devices/channels", &t.access, Some(body))
                .await,
            StatusCode::BAD_REQUEST
        );
    }
    assert_eq!(
        env.post_status(
            "/v2/devices/channels",
            &t.access,
            Some(
                json!({"client_id": "x", "device_model_id": "00000000-0000-0000-0000-000000000000"})
            )
        )
        .await,
        StatusCode::NOT_FOUND
    );
    let r = create_channel(&env, &t.access, "rec-track-3").await;
    let c2: Value = r.json().await.unwrap();
    assert_eq!(c2["external_index"], 2);

    let me = env.me(&t.access).await;
    assert_eq!(each_field(&me["channels"], "external_index"), [0, 1, 2]);

    // Uploads name their channel; an index without a channel is refused.
    let mut body = file_body("track1.wav", "audio/wav", 5);
    body["channel"] = json!(1);
    assert_eq!(
        env.create_asset(&t.access, body).await.status(),
        StatusCode::OK
    );
    let mut body = file_body("track9.wav", "audio/wav", 5);
    body["channel"] = json!(9);
    assert_eq!(
        env.create_asset(&t.access, body).await.status(),
        StatusCode::BAD_REQUEST
    );

    // Channel 0 is the device itself; a channel disconnected once is gone.
    let zero = me["channels"][0]["id"].as_str().unwrap().to_string();
    for (channel, want) in [
        (&zero, StatusCode::BAD_REQUEST),
        (&chan1, StatusCode::NO_CONTENT),
        (&chan1, StatusCode::NOT_FOUND),
    ] {
        let path = format!("/v2/devices/channels/{channel}/disconnect");
        assert_eq!(
            env.post_status(&path, &t.access, None).await,
            want,
            "{channel}"
        );
    }
    let me = env.me(&t.access).await;
    assert_eq!(me["channels"].as_array().unwrap().len(), 2);
    assert_eq!(
        env.post_status("/v2/devices/channels/disconnect", &t.access, None)
            .await,
        StatusCode::NO_CONTENT
    );
    let me = env.me(&t.access).await;
    assert_eq!(me["channels"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn pause_applies_per_channel_with_the_offset() {
    let (env, t) = paired("chan-2").await;
    create_channel(&env, &t.access, "lane-1").await;
    env.control_post("/_emulator/device/pause", json!({"channel": 1}))
        .await;
    let create = |channel: u64, offset: u64| {
        let mut body = file_body("clip.wav", "audio/wav", 5);
        body["channel"] = json!(channel);
        body["offset"] = json!(offset);
        env.create_asset(&t.access, body)
    };
    // Channel 1 refuses media made now; channel 0 does not; media made before the pause goes.
    let r = create(1, 0).await;
    assert_eq!(
        detailed_title(r).await,
        (StatusCode::CONFLICT, "Channel Paused".into())
    );
    assert_eq!(create(0, 0).await.status(), StatusCode::OK);
    assert_eq!(create(1, 600).await.status(), StatusCode::OK);
    let chans = env.control_get("/_emulator/channels").await;
    assert_eq!(chans[0]["channels"][1]["paused"], true);
    assert_eq!(chans[0]["channels"][0]["paused"], false);
    env.control_post("/_emulator/device/resume", json!({"channel": 1}))
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    assert_eq!(create(1, 0).await.status(), StatusCode::OK);
    // An unknown channel cannot be paused.
    let r = env
        .post_json("/_emulator/device/pause", &json!({"channel": 7}))
        .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn triggers_are_validated_stored_and_deduplicated() {
    let (env, t) = paired("trig-1").await;
    let me = env.me(&t.access).await;
    let zero = me["channels"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/v2/devices/channels/{zero}/inputs/2/trigger");
    let tc = |s: &str| json!({"smpte_timecode": s, "rate": {"playback": [24, 1], "ntsc": null}});
    let body = json!({"action_type": "single_press", "offset": 3, "start": tc("01:00:10:05"), "duration": tc("00:00:02:00")});
    assert_eq!(
        env.post_status(&path, &t.access, Some(body.clone())).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        post_keyed(&env, &path, &t.access, "t-1", body.clone()).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        post_keyed(&env, &path, &t.access, "t-1", body.clone()).await,
        StatusCode::NO_CONTENT
    );
    // An empty body is a plain press.
    assert_eq!(
        env.post_auth(&path, &t.access, None).await.status(),
        StatusCode::NO_CONTENT
    );

    for bad in [
        json!({"action_type": "double_press"}),
        json!({"offset": 1.5}),
        json!({"start": "01:00:00:00"}),
        json!({"start": tc("25:00:00:00")}),
        json!({"start": tc("01:00:00:24")}),
        json!({"start": tc("1:0:0:0")}),
        json!({"start": {"smpte_timecode": "01:00:00:00", "rate": {"playback": [24000, 1000], "ntsc": "non_drop"}}}),
        json!({"start": {"smpte_timecode": "01:00:00:00", "rate": {"playback": [24000, 1001], "ntsc": null}}}),
        json!({"label": "x"}),
    ] {
        let r = env.post_auth(&path, &t.access, Some(bad.clone())).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
    let ntsc = json!({"start": {"smpte_timecode": "01:00:00;23", "rate": {"playback": "24000/1001", "ntsc": "non_drop"}}});
    assert_eq!(
        env.post_auth(&path, &t.access, Some(ntsc)).await.status(),
        StatusCode::NO_CONTENT
    );
    // An input out of range; a channel this device does not have.
    for (path, want) in [
        (
            format!("/v2/devices/channels/{zero}/inputs/100/trigger"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "/v2/devices/channels/00000000-0000-0000-0000-000000000000/inputs/0/trigger".into(),
            StatusCode::NOT_FOUND,
        ),
    ] {
        assert_eq!(
            env.post_status(&path, &t.access, None).await,
            want,
            "{path}"
        );
    }

    let all = env.control_get("/_emulator/triggers").await;
    let all = all.as_array().unwrap();
    assert_eq!(all.len(), 4, "the keyed repeat stored nothing");
    assert_eq!(all[0]["input_index"], 2);
    assert_eq!(all[0]["external_index"], 0);
    assert_eq!(all[0]["offset"], 3);
    assert_eq!(all[0]["start"]["smpte_timecode"], "01:00:10:05");
}

#[tokio::test]
async fn device_tokens_reach_take_logging_in_strict_mode() {
    // The default settings are strict: a device-code token reaches comments, channels and
    // triggers (device endpoints), as an app token does.
    let (env, t) = paired("scope-1").await;
    let id = asset_id(&env, &t.access, "S.mov").await;
    assert_eq!(
        comment_status(&env, &t.access, &id, "ok").await,
        StatusCode::OK
    );
    assert_eq!(
        create_channel(&env, &t.access, "c").await.status(),
        StatusCode::OK
    );
    let app = env.sign_in("scope-app", true).await;
    let id = asset_id(&env, &app.access, "T.mov").await;
    assert_eq!(
        comment_status(&env, &app.access, &id, "ok").await,
        StatusCode::OK
    );
    // Another device's asset is not this device's project's... unless it is the same project:
    // an unknown project answers 404. An app install not connected to a project: 403.
    let loose = env.sign_in("scope-loose", false).await;
    assert_eq!(
        comment_status(&env, &loose.access, &id, "x").await,
        StatusCode::FORBIDDEN
    );
}
