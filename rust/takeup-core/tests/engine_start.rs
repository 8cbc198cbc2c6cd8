//! What an engine publishes first when it starts on a paired, connected state directory: the
//! connection state from the cached identity, and a queue status that is not held (a `status`
//! command sees only that first status).

mod common;

use takeup_core::ConnectionState;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paired_engine_starts_connected_and_its_queue_not_on_hold() {
    let env = common::env().await;
    let first = common::paired_with_queue(&env, common::queue_config(&env)).await;
    drop(first);
    for run in [false, true] {
        let mut c = env.config();
        c.queue = common::queue_config(&env);
        c.queue.run = run;
        let engine = takeup_core::Engine::start(c, env.store.clone())
            .await
            .unwrap();
        assert!(matches!(
            engine.connection_state(),
            ConnectionState::Connected { .. }
        ));
        let first_status = engine.queue().watch().borrow().clone();
        assert_eq!(first_status.hold, None, "run = {run}: {first_status:#?}");
        assert!(engine.identity().is_some());
    }
}
