/** A running service, whichever way it runs (one server, serving threads, cluster workers). */
export interface StartedService {
  url: string;
  close(): Promise<void>;
}
