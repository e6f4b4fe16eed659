//! The crypto against the RFCs: RFC 8291 §5's example message decrypts with the example
//! keys, our requests decrypt with the subscription's private key, and the VAPID header
//! verifies against the public key with the endpoint's origin as audience (RFC 8292).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use web_push_native::jwt_simple::prelude::{
    ECDSAP256PublicKeyLike, ES256PublicKey, HashSet, NoCustomClaims, VerificationOptions,
};
use web_push_native::p256::elliptic_curve::sec1::ToEncodedPoint;
use web_push_native::{decrypt, p256, Auth};

use super::*;
use crate::store::PushSubscription;

fn b64(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(s).expect("base64url")
}

#[test]
fn rfc8291_example_decrypts() {
    // RFC 8291 §5 (and Appendix A): the user agent's private key and auth secret, and the
    // message the application server sent.
    let ua_private =
        p256::SecretKey::from_slice(&b64("q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"))
            .expect("ua key");
    let auth = Auth::clone_from_slice(&b64("BTBZMqHH6r4Tts7J_aSIgg"));
    let message = b64(
        "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmY\
         WAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexS\
         gSxsj_Qulcy4a-fN",
    );
    assert_eq!(
        ua_private.public_key().to_encoded_point(false).as_bytes(),
        b64("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4")
    );
    let plain = decrypt(message, &ua_private, &auth).expect("decrypts");
    assert_eq!(plain, b"When I grow up, I want to be a watermelon");
}

/// A browser's side of a subscription: its private key and auth secret.
fn browser(endpoint: &str) -> (PushSubscription, p256::SecretKey, Auth) {
    let key = p256::SecretKey::random(&mut rand_core_06());
    let auth = Auth::clone_from_slice(&[7u8; 16]);
    let sub = PushSubscription {
        id: 1,
        user_id: UserId(1),
        endpoint: endpoint.into(),
        p256dh: URL_SAFE_NO_PAD.encode(key.public_key().to_encoded_point(false).as_bytes()),
        auth: URL_SAFE_NO_PAD.encode(auth),
        name: "test".into(),
        created_at: 0,
        last_used_at: None,
    };
    (sub, key, auth)
}

fn rand_core_06() -> web_push_native::p256::elliptic_curve::rand_core::OsRng {
    web_push_native::p256::elliptic_curve::rand_core::OsRng
}

#[test]
fn a_request_decrypts_and_its_vapid_header_verifies() {
    let vapid = Vapid::generate();
    let (sub, key, auth) = browser("https://push.example:8443/send/abc?x=1");
    let job = Job::new(
        UserId(1),
        "libera\0#rust",
        Urgency::Normal,
        b"{\"a\":1}".to_vec(),
    );
    let req = request(
        &vapid,
        "mailto:admin@example.com",
        &sub,
        &job,
        Duration::from_secs(60),
    )
    .expect("request");
    let header = |name: &str| {
        req.headers
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .and_then(|(_, v)| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(header("content-encoding"), "aes128gcm");
    assert_eq!(header("ttl"), "60");
    assert_eq!(header("urgency"), "normal");
    assert_eq!(header("topic"), job.topic);
    assert_eq!(job.topic.len(), 32);
    assert!(job
        .topic
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(
        decrypt(req.body.clone(), &key, &auth).expect("decrypts"),
        b"{\"a\":1}"
    );

    // Authorization: vapid t=JWT, k=PUBLIC (RFC 8292 §3).
    let auth_header = header("authorization");
    let rest = auth_header.strip_prefix("vapid t=").expect("vapid scheme");
    let (token, k) = rest.split_once(", k=").expect("t and k");
    assert_eq!(k, vapid.public_key());
    let public = ES256PublicKey::from_bytes(&b64(k)).expect("public key");
    let mut audiences = HashSet::new();
    audiences.insert("https://push.example:8443".to_owned());
    let claims = public
        .verify_token::<NoCustomClaims>(
            token,
            Some(VerificationOptions {
                allowed_audiences: Some(audiences),
                ..Default::default()
            }),
        )
        .expect("the token verifies for the endpoint's origin");
    assert_eq!(claims.subject.as_deref(), Some("mailto:admin@example.com"));
    let exp = claims.expires_at.expect("exp").as_secs();
    let now = crate::time::now_ms() as u64 / 1000;
    assert!(
        exp > now && exp <= now + 24 * 3600,
        "exp within 24 h (RFC 8292 §2)"
    );
    // Another key does not verify it.
    let other = Vapid::generate();
    let other = ES256PublicKey::from_bytes(&b64(other.public_key())).expect("other");
    assert!(other.verify_token::<NoCustomClaims>(token, None).is_err());
}

#[test]
fn keys_round_trip_and_bad_subscriptions_are_refused() {
    let vapid = Vapid::generate();
    let (mut sub, _, _) = browser("https://push.example/x");
    let job = Job::new(UserId(1), "k", Urgency::High, b"x".to_vec());
    sub.auth = "short".into();
    assert!(matches!(
        request(&vapid, "mailto:a@b", &sub, &job, Duration::from_secs(1)),
        Err(Error::Subscription(_))
    ));
    let (mut sub, _, _) = browser("https://push.example/x");
    sub.p256dh = URL_SAFE_NO_PAD.encode([4u8; 65]);
    assert!(request(&vapid, "mailto:a@b", &sub, &job, Duration::from_secs(1)).is_err());
    assert!(Vapid::from_private("not base64!").is_err());
    assert!(Vapid::from_private(&URL_SAFE_NO_PAD.encode([0u8; 32])).is_err());
    // Calls and messages of one conversation are different topics.
    assert_ne!(
        Job::new(UserId(1), "k", Urgency::High, vec![]).topic,
        Job::new(UserId(1), "k", Urgency::Normal, vec![]).topic
    );
}
