/**
 * Once per test run: a migrated SQLite template file and a private PostgreSQL cluster with a migrated
 * template database. Each test file then gets its own copy (file copy / CREATE DATABASE … TEMPLATE),
 * so files run in parallel without sharing rows. Migrations are applied by server/db/migrate.ts from
 * the committed files, so the committed migrations are what is tested.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { migrate } from "../../db/migrate.js";
import { startPgCluster, type PgCluster } from "./pg-cluster.js";

declare module "vitest" {
  export interface ProvidedContext {
    sqliteTemplate: string;
    pgBaseUrl: string;
    pgTemplateDb: string;
  }
}

let cluster: PgCluster | null = null;
let dir = "";
let pki = "";

export async function setup(project: TestProject) {
  pki = project.config.env?.OVZ_PANEL_PKI ?? "";
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-sqlite-"));
  const sqliteTemplate = path.join(dir, "template.db");
  await migrate(`file:${sqliteTemplate}`);
  cluster = await startPgCluster();
  cluster.createDatabase("ovz_template");
  await migrate(cluster.url("ovz_template"));
  project.provide("sqliteTemplate", sqliteTemplate);
  project.provide("pgBaseUrl", cluster.url(""));
  project.provide("pgTemplateDb", "ovz_template");
}

export async function teardown() {
  cluster?.stop();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
  if (pki.includes("ovz-test-pki-")) fs.rmSync(pki, { recursive: true, force: true });
}
