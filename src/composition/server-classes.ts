import { ChatServer } from '../application/server/chat-server';
import { LivenessProbe } from '../application/server/liveness-probe';
import { PendingRegistrations } from '../application/server/pending-registrations';
import { RegistrySync } from '../application/server/registry-sync';
import { ServerInbound } from '../application/server/server-inbound';
import { ServerState } from '../application/server/server-state';
import { TableBroadcaster } from '../application/server/table-broadcaster';
import { TableJournal } from '../application/server/table-journal';
import { BackgroundTasks } from '../application/server/background-tasks';
import { ServersAnnouncer } from '../application/server/servers-announcer';
import { AcceptDeregistration } from '../application/use-cases/server/accept-deregistration';
import { AcceptRegistration } from '../application/use-cases/server/accept-registration';
import { ConfirmRegistration as ServerConfirmRegistration } from '../application/use-cases/server/confirm-registration';
import { DeliverOfflineMessages } from '../application/use-cases/server/deliver-offline-messages';
import { MarkOffline } from '../application/use-cases/server/mark-offline';
import { RelayChannelMessage } from '../application/use-cases/server/relay-channel-message';
import { ServeKeyRequest } from '../application/use-cases/server/serve-key-request';
import { ServeTableRequest } from '../application/use-cases/server/serve-table-request';
import { StoreOfflineMessage } from '../application/use-cases/server/store-offline-message';

/** The application classes a server instance binds (loaded only when a server is made: see createContainer). */
export const SERVER_CLASSES = [
  ServerState, PendingRegistrations, ServerInbound, ChatServer, TableBroadcaster, LivenessProbe, RegistrySync,
  AcceptRegistration, ServerConfirmRegistration, AcceptDeregistration, StoreOfflineMessage,
  DeliverOfflineMessages, RelayChannelMessage, ServeTableRequest, ServeKeyRequest, MarkOffline, TableJournal, BackgroundTasks, ServersAnnouncer,
] as const;
