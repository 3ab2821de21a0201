-- a copied database does not answer the production Prometheus scrapers
UPDATE logistics_metrics_token SET active = false;
-- nor raise alerts to the production team
UPDATE logistics_sync_alert_rule SET active = false;
