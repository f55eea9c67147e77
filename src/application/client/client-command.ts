/** The commands of SPEC §3 a user gives a client, already split into their parts. */
export type ClientCommand =
  | { kind: 'send'; to: string; text: string }
  | { kind: 'send_all'; text: string }
  | { kind: 'dereg'; name: string }
  | { kind: 'reg'; name: string };
