//! Unit tests of the account state: indexes, counts and memberships stay in step.

use std::time::Duration;

use chrono::Utc;
use rand::SeedableRng;
use rand::rngs::StdRng;
use tokio::time::Instant;

use super::*;

fn world() -> World {
    let account = Account {
        id: "acct".into(),
        account_number: 1,
        cluster: "us06".into(),
        domain: "example.com".into(),
        managed_domains: vec!["example.com".into()],
    };
    let roles = vec![
        Role::new(OWNER_ROLE, "Owner", "", vec![]),
        Role::new(ADMIN_ROLE, "Admin", "", vec![]),
        Role::new(MEMBER_ROLE, "Member", "", vec![]),
    ];
    World::new(account, roles, StdRng::seed_from_u64(7))
}

fn new_user(w: &mut World, email: &str, role: &str, status: UserStatus) -> u64 {
    let id = w.new_id();
    let role = w.role_text(role).expect("role");
    w.insert_user(User::new(NewUser {
        id,
        email: email.into(),
        status,
        role_id: role,
        first_name: "A".into(),
        last_name: "B".into(),
        display_name: String::new(),
        user_type: 2,
        created_at: Utc::now(),
        login_type: 100,
        pmi: 1234567890,
    }))
}

#[test]
fn ids_look_like_zoom_ids() {
    let mut w = world();
    let id = w.new_id();
    assert_eq!(id.len(), 22);
    assert!(
        id.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
}

#[test]
fn indexes_counts_and_memberships_stay_consistent() {
    let mut w = world();
    let owner = new_user(&mut w, "Owner@Example.com", OWNER_ROLE, UserStatus::Active);
    let u = new_user(&mut w, "u@example.com", MEMBER_ROLE, UserStatus::Pending);
    assert_eq!(w.owner(), Some(owner));
    assert_eq!(w.resolve_user("me"), Some(owner));
    assert_eq!(w.resolve_user("OWNER@example.COM"), Some(owner));
    assert_eq!(w.user(u).map(|x| x.display_name.as_str()), Some("A B"));
    assert_eq!(w.count_status(UserStatus::Pending), 1);
    w.set_status(u, UserStatus::Active);
    assert_eq!(w.count_status(UserStatus::Pending), 0);
    assert_eq!(w.count_status(UserStatus::Active), 2);

    let g1 = w.insert_group("g1".into(), "Engineering".into());
    let g2 = w.insert_group("g2".into(), "Sales".into());
    assert!(w.add_member(g1, u));
    assert!(!w.add_member(g1, u));
    assert!(w.add_member(g2, u));
    let user = w.user(u).expect("user").clone();
    assert_eq!(w.group_ids_of(&user), vec!["g1", "g2"]);
    w.set_primary_group(u, g2);
    let user = w.user(u).expect("user").clone();
    assert_eq!(w.group_ids_of(&user), vec!["g2", "g1"]);
    w.remove_group(g2);
    let user = w.user(u).expect("user").clone();
    assert_eq!(w.group_ids_of(&user), vec!["g1"]);

    w.set_role(u, ADMIN_ROLE);
    assert_eq!(w.role(ADMIN_ROLE).map(Role::total_members), Some(1));
    assert_eq!(w.role(MEMBER_ROLE).map(Role::total_members), Some(0));

    w.set_email(u, "New@example.com".into());
    assert_eq!(w.find_by_email("new@EXAMPLE.com"), Some(u));
    assert_eq!(w.find_by_email("u@example.com"), None);

    w.remove_user(u);
    assert!(w.group(g1).expect("group").members().is_empty());
    assert_eq!(w.role(ADMIN_ROLE).map(Role::total_members), Some(0));
    assert_eq!(w.resolve_user("New@example.com"), None);
}

#[test]
fn invitations_are_confirmed_after_the_delay() {
    let mut w = world();
    let u = new_user(&mut w, "p@example.com", MEMBER_ROLE, UserStatus::Pending);
    let t0 = Instant::now();
    w.queue_invitation(u, t0);
    w.confirm_due_invitations(t0 + Duration::from_secs(4), Some(Duration::from_secs(5)));
    assert_eq!(w.user(u).map(User::status), Some(UserStatus::Pending));
    w.confirm_due_invitations(t0 + Duration::from_secs(4), None);
    assert_eq!(w.user(u).map(User::status), Some(UserStatus::Pending));
    w.confirm_due_invitations(t0 + Duration::from_secs(5), Some(Duration::from_secs(5)));
    assert_eq!(w.user(u).map(User::status), Some(UserStatus::Active));
}
