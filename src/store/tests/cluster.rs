//! The cluster's SQL (`store::cluster`): slots, leases taken by one daemon only, renewal
//! of unexpired leases only, release, and message ids kept apart by slot.

use super::*;
use crate::store::cluster::{Beat, SLOTS};

#[tokio::test]
async fn leases_go_to_one_daemon_and_ids_keep_apart() {
    let (_dir, store, first) = setup().await;
    if !on_postgres() {
        let e = store.cluster_join("a", "http://a", 60_000).await.err();
        assert!(matches!(e, Some(Error::Invalid(_))), "{e:?}");
        return;
    }
    let mut ids = vec![first];
    for i in 0..9 {
        ids.push(add_user(&store, &format!("u{i}@example.com")).await);
    }
    assert_eq!(
        store
            .cluster_join("a", "http://a", 60_000)
            .await
            .expect("a"),
        0
    );
    assert_eq!(
        store
            .cluster_join("b", "http://b", 60_000)
            .await
            .expect("b"),
        1
    );
    // Joining again (a restart with the same id) keeps one row.
    assert_eq!(
        store
            .cluster_join("b", "http://b", 60_000)
            .await
            .expect("b"),
        1
    );
    assert_eq!(store.cluster_key().await.expect("key").len(), 64);
    assert_eq!(
        store.cluster_key().await.expect("key"),
        store.cluster_key().await.expect("key")
    );

    // Two daemons taking at once never get the same user.
    let (a, b) = tokio::join!(
        store.cluster_acquire("a", 60_000, 6, None),
        store.cluster_acquire("b", 60_000, 6, None)
    );
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!(a.len() + b.len(), 10, "{a:?} {b:?}");
    assert!(a.iter().all(|u| !b.contains(u)), "{a:?} {b:?}");
    // Held: nobody else gets them, not even by asking for one.
    assert!(store
        .cluster_acquire("b", 60_000, 10, Some(a[0]))
        .await
        .expect("b")
        .is_empty());
    let owner = store.cluster_owner(a[0]).await.expect("owner");
    assert_eq!(owner, Some(("a".into(), "http://a".into())));

    // An expired lease is not renewed; another daemon takes it.
    let short = store
        .cluster_acquire("a", 60_000, 1, None)
        .await
        .expect("a");
    assert!(short.is_empty());
    store
        .cluster_release("a", vec![a[0]])
        .await
        .expect("release");
    assert_eq!(store.cluster_owner(a[0]).await.expect("owner"), None);
    let got = store
        .cluster_acquire("b", 1, 1, Some(a[0]))
        .await
        .expect("b");
    assert_eq!(got, vec![a[0]]);
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let kept = store.cluster_renew("b", 60_000).await.expect("renew");
    assert!(!kept.contains(&a[0]), "expired: not renewed");
    assert_eq!(kept.len(), b.len());
    let got = store
        .cluster_acquire("a", 60_000, 1, Some(a[0]))
        .await
        .expect("a");
    assert_eq!(got, vec![a[0]]);

    // A heartbeat sees users and live daemons; a drained daemon is not live.
    let beat = store.cluster_beat("a", 5, 60_000).await.expect("beat");
    assert_eq!(
        beat,
        Some(Beat {
            draining: false,
            users: 10,
            live: 2
        })
    );
    assert!(store.cluster_drain("b").await.expect("drain"));
    assert!(!store.cluster_drain("nobody").await.expect("drain"));
    let beat = store.cluster_beat("b", 5, 60_000).await.expect("beat");
    assert_eq!(beat.map(|b| (b.draining, b.live)), Some((true, 1)));
    store.cluster_leave("b").await.expect("leave");
    assert_eq!(
        store.cluster_beat("b", 0, 60_000).await.expect("beat"),
        None
    );
    let members = store.cluster_members().await.expect("members");
    assert_eq!(members.len(), 1);
    assert_eq!((members[0].id.as_str(), members[0].users), ("a", 5));

    // Message ids of slot 3 are ≡ 3 (mod 16), live or placed by time.
    store.set_id_slot(3).await.expect("slot");
    let live = NewEntry {
        time: crate::time::now_ms(),
        ..msg(first, "#c", "live")
    };
    let late = NewEntry {
        time: crate::time::now_ms() - 60_000,
        backfill: true,
        ..msg(first, "#c", "late")
    };
    let out = store.append_many(vec![live, late]).await.expect("append");
    for o in &out {
        assert_eq!(o.entry.id.0.rem_euclid(SLOTS), 3, "{o:?}");
    }
}
